import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCursor } from '../../channels/channel-id.js';
import { InvalidEndpointListError, InvalidQueryError } from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { PISTACHIO_MODE_API, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioChannel } from '../../pistachio-channel.js';
import type { EndpointPolls, PollAnswer } from './endpoint-polls.interface.js';
import { parseWaitQuery, WaitQuery } from './poll-query.js';

interface ChannelPoll extends WaitQuery {
  /** `?after=<id>`, else the `Last-Event-ID` header: the id of the last message the subscriber got. */
  after: string | undefined;
}

/**
 * Polls of broadcast channels: every poll gets every message, each with its id (`Pistachio-Id`); a cursor resumes
 * after it, and `Pistachio-Gap` names the oldest retained message when messages after the cursor are gone. Nothing is
 * consumed, so a client that leaves loses nothing: it comes back with its cursor.
 */
@Injectable()
export class ChannelPolls implements EndpointPolls<ChannelPoll> {
  constructor(
    @Inject(PISTACHIO_MODE_API) private readonly channel: PistachioChannel,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
  ) {}

  parse(query: Record<string, unknown>, headers: IncomingHttpHeaders): ChannelPoll {
    if (query.ack !== undefined) {
      throw new InvalidQueryError('ack', 'is for queues: a broadcast channel has nothing to acknowledge');
    }
    const after = query.after ?? headers['last-event-id'];
    return { ...parseWaitQuery(query, this.options), after: after === undefined ? undefined : parseCursor(after) };
  }

  async answer(endpoints: string[], { timeout, max, after }: ChannelPoll, departure: AbortSignal): Promise<PollAnswer | undefined> {
    if (endpoints.length > 1) {
      throw new InvalidEndpointListError(endpoints, 1);
    }
    const [endpoint] = endpoints;
    const { messages, gap } = await this.channel.read(endpoint, { after, timeout, max, signal: departure });
    if (messages.length === 0) {
      return undefined;
    }
    return {
      messages: messages.map(({ id, message }) => ({ message, headers: { 'Pistachio-Id': id } })),
      batch: max !== undefined,
      headers: gap ? { 'Pistachio-Gap': messages[0].id } : {},
    };
  }
}
