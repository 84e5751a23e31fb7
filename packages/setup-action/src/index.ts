export const packageName = '@harrier/setup-action';
