/**
 * Records every remote call (DynamoDB, EC2, SSM, SQS, GitHub) with its start and end order, to
 * measure how many calls happen one after another: a call's depth is 1 + the deepest call that
 * had finished before it started. Parallel calls share a depth.
 */
export interface TracedCall {
  name: string;
  depth: number;
}

export class CallTrace {
  readonly calls: TracedCall[] = [];
  private finished: TracedCall[] = [];

  /** Wraps `send` (AWS clients) or every method (GitHubClient) of `target`. */
  wrap<T extends object>(target: T, label: string): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        if (label !== 'github' && property !== 'send') return value;
        return (...args: unknown[]) => {
          const command = args[0] as { constructor?: { name?: string } } | undefined;
          const name =
            label === 'github' ? `github.${property}` : `${label}.${command?.constructor?.name ?? 'send'}`;
          const depth = 1 + Math.max(0, ...this.finished.map((c) => c.depth));
          const call = { name, depth };
          this.calls.push(call);
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          return Promise.resolve(result).finally(() => this.finished.push(call));
        };
      },
    });
  }

  depthOf(name: string): number | undefined {
    return this.calls.find((c) => c.name === name)?.depth;
  }
}
