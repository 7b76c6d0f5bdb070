export interface PistachioModuleOptions {
  /** Prefix of every queue: an endpoint `foo` is stored at `<namespace>:foo`. */
  namespace: string;
  /** Route that serves the polls, `GET {path}/{endpoint}`. Default `/push_messages`. */
  path?: string;
  /** How long a poll waits for a message before the 504, in milliseconds. Default 30 000. */
  timeout?: number;
  /** `Content-Type` of a delivered message. Default `text/plain; charset=utf-8`. */
  contentType?: string;
  /** Seconds a client is told to wait (`Retry-After`) when the app is shutting down. Default 1. */
  retryAfter?: number;
}

/** Options that shape the module definition itself, so forRootAsync takes them next to `useFactory`. */
export interface PistachioModuleExtras {
  /** Register the module globally. Default `false`. */
  isGlobal?: boolean;
  /** As {@link PistachioModuleOptions.path}; given here, the factory need not return it. */
  path?: string;
}

export type ResolvedPistachioOptions = Required<PistachioModuleOptions>;
