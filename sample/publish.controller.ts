import { BadRequestException, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { isEndpointName, PistachioService } from 'nestjs-pistachio';

/** The sample's own publishing route, behind the page's form. A real app publishes from wherever its events are. */
@Controller('publish')
export class PublishController {
  constructor(private readonly pistachio: PistachioService) {}

  @Post(':endpoint')
  @HttpCode(204)
  async publish(@Param('endpoint') endpoint: string, @Body() body: { message?: unknown }): Promise<void> {
    if (!isEndpointName(endpoint) || typeof body?.message !== 'string' || body.message.length === 0) {
      throw new BadRequestException('POST {"message": "..."} to /publish/<endpoint>');
    }
    await this.pistachio.publish(endpoint, body.message);
  }
}
