import { BadRequestException, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { InjectPistachio, isEndpointName, PistachioService } from 'nestjs-pistachio';

/** The sample's own publishing routes, behind the page's forms. A real app publishes from wherever its events are. */
@Controller()
export class PublishController {
  constructor(
    private readonly queues: PistachioService,
    @InjectPistachio('broadcast') private readonly channels: PistachioService,
  ) {}

  /** To the queue `endpoint`: one waiting poller gets it. */
  @Post('publish/:endpoint')
  @HttpCode(204)
  async publish(@Param('endpoint') endpoint: string, @Body() body: { message?: unknown }): Promise<void> {
    await this.queues.publish(endpoint, messageOf('publish', endpoint, body));
  }

  /** To the broadcast channel `channel`: every subscriber gets it. */
  @Post('broadcast/:channel')
  @HttpCode(204)
  async broadcast(@Param('channel') channel: string, @Body() body: { message?: unknown }): Promise<void> {
    await this.channels.publish(channel, messageOf('broadcast', channel, body));
  }
}

/** The message of a form's POST, or a 400 that says what to send. */
function messageOf(route: string, endpoint: string, body: { message?: unknown }): string {
  if (!isEndpointName(endpoint) || typeof body?.message !== 'string' || body.message.length === 0) {
    throw new BadRequestException(`POST {"message": "..."} to /${route}/<endpoint>`);
  }
  return body.message;
}
