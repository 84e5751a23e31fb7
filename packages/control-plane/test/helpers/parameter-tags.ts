/**
 * Parameter tags on top of the AWS stand-in, which stores parameters but not their tags and has no
 * AddTagsToResource. Wraps one SSMClient the way SSM behaves: `Tags` only when a parameter is
 * created (with `Overwrite` SSM answers ValidationException), AddTagsToResource only on an
 * existing parameter, tags gone with the parameter.
 */
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  InvalidResourceId,
  PutParameterCommand,
  ValidationException,
  type PutParameterCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';

export interface ParameterTags {
  /** Parameter name → tag key → value. */
  tags: Map<string, Map<string, string>>;
  /** Every PutParameter input, in order (including refused ones). */
  puts: PutParameterCommandInput[];
  /** Every AddTagsToResource call's parameter name. */
  tagCalls: string[];
}

export function trackParameterTags(ssm: SSMClient, exists: (name: string) => boolean): ParameterTags {
  const tracked: ParameterTags = { tags: new Map(), puts: [], tagCalls: [] };
  const send = ssm.send.bind(ssm) as (command: unknown) => Promise<unknown>;
  const wrapped = async (command: unknown): Promise<unknown> => {
    if (command instanceof PutParameterCommand) {
      const input = command.input;
      tracked.puts.push(input);
      if ((input.Tags?.length ?? 0) > 0 && input.Overwrite === true)
        throw new ValidationException({
          $metadata: { httpStatusCode: 400 },
          message:
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
        });
      const out = await send(command);
      const name = input.Name ?? '';
      if (!tracked.tags.has(name))
        tracked.tags.set(name, new Map((input.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
      return out;
    }
    if (command instanceof AddTagsToResourceCommand) {
      const name = command.input.ResourceId ?? '';
      tracked.tagCalls.push(name);
      if (command.input.ResourceType !== 'Parameter' || !exists(name))
        throw new InvalidResourceId({ $metadata: { httpStatusCode: 400 }, message: 'Invalid resource id' });
      const tags = tracked.tags.get(name) ?? new Map<string, string>();
      for (const tag of command.input.Tags ?? []) tags.set(tag.Key ?? '', tag.Value ?? '');
      tracked.tags.set(name, tags);
      return { $metadata: { httpStatusCode: 200 } };
    }
    const out = await send(command);
    if (command instanceof DeleteParameterCommand) tracked.tags.delete(command.input.Name ?? '');
    return out;
  };
  ssm.send = wrapped as SSMClient['send'];
  return tracked;
}
