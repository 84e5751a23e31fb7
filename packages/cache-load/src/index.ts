export const packageName = '@harrier/cache-load';
