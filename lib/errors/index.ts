export * from './invalid-endpoint.error.js';
export * from './invalid-message.error.js';
export * from './invalid-options.error.js';
export * from './pistachio.error.js';
export * from './queue-full.error.js';
export * from './redis-connection.error.js';
export * from './shutting-down.error.js';
