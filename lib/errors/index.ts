export * from './invalid-endpoint.error.js';
export * from './invalid-message.error.js';
export * from './invalid-options.error.js';
export * from './pistachio.error.js';
export * from './shutting-down.error.js';
