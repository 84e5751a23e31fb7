export const packageName = '@harrier/cache-store';
