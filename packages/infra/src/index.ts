export const packageName = '@harrier/infra';
