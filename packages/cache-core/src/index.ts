export const packageName = '@harrier/cache-core';
