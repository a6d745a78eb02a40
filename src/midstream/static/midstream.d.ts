// Types of midstream.js (README: "To the browser").

/** A JSON value as JSON.parse gives it. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** One operation of a patch stream: RFC 6902 add / replace, and midstream's append and done. */
export type Operation =
  | { op: "add"; path: string; value: JSONValue; [extra: string]: unknown }
  | { op: "replace"; path: string; value: JSONValue; [extra: string]: unknown }
  | { op: "append"; path: string; value: string; [extra: string]: unknown }
  | { op: "done"; path: string; valid?: boolean; [extra: string]: unknown };

/** An operation that does not fit the document. */
export class PatchError extends Error {
  op: unknown;
  index: number;
  /** The document with the operations before this one applied. */
  doc: JSONValue | undefined;
}

/** A patch stream that failed. */
export class StreamError extends Error {
  /** The server's error type ("ParseError", "IncompleteJSONError", ...), or "HTTPError",
   * "IncompleteStream" (ended before its done event), "BadEvent" (data not a list of operations). */
  type: string;
  status?: number;
  /** The document so far. */
  doc: JSONValue | undefined;
  /** The error event's data. */
  info?: { type?: string; message?: string; offset?: number; line?: number; column?: number; [k: string]: unknown };
}

/** Apply `ops` to `doc` (`undefined` before a stream's first operation) and return the document. */
export function applyPatch(doc: JSONValue | undefined, ops: readonly Operation[]): JSONValue | undefined;

/** Record the "done" operations of `ops` in `marks` (JSON Pointer -> operation) and return it. */
export function collectMarks(ops: readonly Operation[], marks?: Map<string, Operation>): Map<string, Operation>;

/** A Server-Sent Event. */
export interface ServerSentEvent {
  /** The event's name ("message" when it names none). */
  type: string;
  data: string;
  /** The last event id seen. */
  id: string;
}

/** Server-Sent Events from a stream of UTF-8 byte chunks. */
export function readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined>;

/** The incremental parser behind readEvents(). */
export class EventParser {
  /** Feed decoded text (split anywhere); returns the events it completed. */
  push(text: string): ServerSentEvent[];
}

export interface StreamPatchesOptions {
  /** Default: "POST" when there is a body, else "GET". */
  method?: string;
  headers?: HeadersInit;
  /** A plain object or array is sent as JSON (with Content-Type: application/json). */
  body?: BodyInit | JSONValue | null;
  signal?: AbortSignal;
  /** More options for fetch(). */
  init?: RequestInit;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** After each patch event, with the document after it. */
  onUpdate?: (doc: JSONValue | undefined, ops: Operation[], event: ServerSentEvent) => void;
  /** At the done event, with the complete document. */
  onDone?: (doc: JSONValue | undefined) => void;
  /** On any failure; with it, the promise resolves with the document so far instead of rejecting. */
  onError?: (error: StreamError | PatchError | Error, doc: JSONValue | undefined) => void;
}

/** Read a patch stream from `url`; resolves with the complete document. */
export function streamPatches(url: string | URL, options?: StreamPatchesOptions): Promise<JSONValue | undefined>;
