import type { DeliveryMode, RegistrationMode } from './interfaces/index.js';

/** The original Pistachio's default route. */
export const DEFAULT_PATH = '/push_messages';
export const DEFAULT_TIMEOUT = 30_000;
export const DEFAULT_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const DEFAULT_RETRY_AFTER = 1;
export const DEFAULT_MODE: RegistrationMode = 'queue';
export const DEFAULT_RETENTION = 1_000;
export const DEFAULT_MAX_QUEUE_LENGTH = 1_000;
export const DEFAULT_OVERFLOW = 'reject';
export const DEFAULT_MESSAGE_TTL = 86_400_000;
export const DEFAULT_DEDUPLICATION_WINDOW = 300_000;
export const DEFAULT_MAX_WAITERS = 10_000;
export const DEFAULT_MAX_WAITERS_PER_ENDPOINT = 100;
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
export const DEFAULT_SHUTDOWN_GRACE = 2_000;
export const DEFAULT_DELIVERY: DeliveryMode = 'at-most-once';
export const DEFAULT_VISIBILITY_TIMEOUT = 30_000;
/** SQS's limit too. */
export const DEFAULT_MAX_VISIBILITY_TIMEOUT = 43_200_000;
export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_MAX_BATCH = 100;
export const DEFAULT_MAX_ENDPOINTS_PER_POLL = 16;
export const DEFAULT_HEARTBEAT = 15_000;
export const DEFAULT_STREAM_MAX_DURATION = 600_000;
export const DEFAULT_METRICS_PREFIX = 'pistachio_';
/** Shortest `?timeout=` a poll may ask for: shorter ones would turn long-polling into busy polling. */
export const MIN_REQUEST_TIMEOUT = 1_000;

/** What nginx logs for a client that left before its answer; nobody receives it. */
export const CLIENT_CLOSED_REQUEST = 499;

/** Longest delay setTimeout accepts; a larger timeout would fire at once. */
export const MAX_TIMEOUT = 2_147_483_647;

/** The validated options of one registration, defaults applied. */
export const PISTACHIO_OPTIONS = Symbol('PISTACHIO_OPTIONS');
export const PISTACHIO_BROKER = Symbol('PISTACHIO_BROKER');
/** The registration's RegistrationMonitor: its stats, and its metrics when on. */
export const PISTACHIO_MONITOR = Symbol('PISTACHIO_MONITOR');
/** The registration's own controller class, for the middleware that answers on its route. */
export const PISTACHIO_CONTROLLER = Symbol('PISTACHIO_CONTROLLER');
/** The registration's EndpointPolls: how its route answers, as queues or as channels. */
export const PISTACHIO_POLLS = Symbol('PISTACHIO_POLLS');
/** The registration's EndpointStreams: how its route answers `Accept: text/event-stream`. */
export const PISTACHIO_STREAMS = Symbol('PISTACHIO_STREAMS');
/** Bytes a stream's client may leave unread (in the stream and its socket's buffer) before it is ended as too slow. */
export const STREAM_MAX_BUFFERED = 1 << 20;
/** The registration's own API beside PistachioService: its PistachioQueue (or acknowledged queue) or PistachioChannel. */
export const PISTACHIO_MODE_API = Symbol('PISTACHIO_MODE_API');
/** The registration's Presence: the receives waiting on its endpoints, across the app's instances. */
export const PISTACHIO_PRESENCE = Symbol('PISTACHIO_PRESENCE');
