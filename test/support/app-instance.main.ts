import 'reflect-metadata';
import { Controller, HttpCode, Module, Param, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AddressInfo } from 'node:net';
import { InjectPistachio, PistachioModule, PistachioModuleOptions, PistachioService } from '../../lib/index.js';

/** An app of a user's in a process of its own (see app-instance.ts): the module options come as JSON in argv[2]. */
const options = JSON.parse(process.argv[2]) as PistachioModuleOptions;

/** The app's own publishing route, as a producer would call it: the message is its id, deduplicated by it, maybe delayed. */
@Controller('publish')
class PublishController {
  constructor(@InjectPistachio() private readonly pistachio: PistachioService) {}

  @Post(':endpoint/:id')
  @HttpCode(204)
  async publish(@Param('endpoint') endpoint: string, @Param('id') id: string, @Query('delay') delay?: string): Promise<void> {
    await this.pistachio.publish(endpoint, id, { deduplicationId: id, ...(delay !== undefined && { delay: Number(delay) }) });
  }
}

@Module({ imports: [PistachioModule.forRoot(options)], controllers: options.mode === 'broadcast' ? [] : [PublishController] })
class AppInstanceModule {}

// The instance dies with the test process even when that is killed outright: our standard input closes then.
process.stdin.on('end', () => process.exit(1)).resume();

const app = await NestFactory.create(AppInstanceModule);
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log(`listening ${(app.getHttpServer().address() as AddressInfo).port}`);
