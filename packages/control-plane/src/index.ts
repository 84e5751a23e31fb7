export const packageName = '@harrier/control-plane';
