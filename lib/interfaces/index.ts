export * from './delivery.interface.js';
export * from './pistachio-module-options.interface.js';
export * from './receive-options.interface.js';
export * from './channel-message.interface.js';
export * from './publish-options.interface.js';
