import { Module } from '@nestjs/common';
import { PistachioModule } from 'nestjs-pistachio';

@Module({
  imports: [PistachioModule.forRoot({ namespace: 'sample', path: '/messages', timeout: 30_000 })],
})
export class AppModule {}
