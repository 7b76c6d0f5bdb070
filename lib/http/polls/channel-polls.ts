import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { positionsFor } from '../../channels/multiplexed-cursor.js';
import { InvalidQueryError } from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { PISTACHIO_MODE_API, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioChannel } from '../../pistachio-channel.js';
import type { EndpointPolls, PollAnswer } from './endpoint-polls.interface.js';
import { parseWaitQuery, resumeFrom, WaitQuery } from './poll-query.js';

interface ChannelPoll extends WaitQuery {
  /**
   * `?after=`, else the `Last-Event-ID` header: the id of the last message the subscriber got, or on a multiplexed
   * poll the cursor of its answer.
   */
  after: string | undefined;
}

/**
 * Polls of broadcast channels: every poll gets every message, each with its id (`Pistachio-Id`); a cursor resumes
 * after it, and `Pistachio-Gap` names the oldest retained message when messages after the cursor are gone. Nothing is
 * consumed, so a client that leaves loses nothing: it comes back with its cursor. A multiplexed poll's messages also
 * carry their channel and `Pistachio-Cursor`, the position in all of its channels after the message.
 */
@Injectable()
export class ChannelPolls implements EndpointPolls<ChannelPoll> {
  constructor(
    @Inject(PISTACHIO_MODE_API) private readonly channel: PistachioChannel,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
  ) {}

  parse(endpoints: string[], query: Record<string, unknown>, headers: IncomingHttpHeaders): ChannelPoll {
    if (query.ack !== undefined) {
      throw new InvalidQueryError('ack', 'is for queues: a broadcast channel has nothing to acknowledge');
    }
    const after = resumeFrom(query, headers);
    if (after !== undefined) {
      positionsFor(endpoints, after); // malformed, or of the other kind: a 400 before anything is read
    }
    return { ...parseWaitQuery(query, this.options), after: after as string | undefined };
  }

  async answer(endpoints: string[], poll: ChannelPoll, departure: AbortSignal): Promise<PollAnswer | undefined> {
    return endpoints.length > 1 ? this.answerAny(endpoints, poll, departure) : this.answerOne(endpoints[0], poll, departure);
  }

  private async answerOne(endpoint: string, { timeout, max, after }: ChannelPoll, departure: AbortSignal): Promise<PollAnswer | undefined> {
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

  private async answerAny(endpoints: string[], { timeout, max, after }: ChannelPoll, departure: AbortSignal): Promise<PollAnswer | undefined> {
    const { messages, gaps } = await this.channel.readAny(endpoints, { after, timeout, max, signal: departure });
    if (messages.length === 0) {
      return undefined;
    }
    return {
      messages: messages.map(({ endpoint, id, message, cursor }) => ({
        message,
        headers: { 'Pistachio-Endpoint': endpoint, 'Pistachio-Id': id, 'Pistachio-Cursor': cursor },
      })),
      batch: max !== undefined,
      // Each channel whose messages after the cursor were gone, with the oldest it retains.
      headers: gaps.length > 0 ? { 'Pistachio-Gap': gaps.map(({ endpoint, oldest }) => `${endpoint}~${oldest}`).join(',') } : {},
    };
  }
}
