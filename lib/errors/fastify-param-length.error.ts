import { PistachioError } from './pistachio.error.js';

/** The app runs on Fastify, whose router would refuse endpoint names longer than its `maxParamLength`. */
export class FastifyParamLengthError extends PistachioError {
  constructor(readonly maxParamLength: number) {
    super(
      `Fastify's router refuses path parameters over ${maxParamLength} characters (maxParamLength), but endpoint ` +
        'names go up to 128: create the adapter with ' +
        'new FastifyAdapter({ routerOptions: { maxParamLength: 1024 } }) (at least 128)',
    );
  }
}
