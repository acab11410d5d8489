/**
 * Serves one PGlite (one PostgreSQL session) to many `pg` connections over the wire protocol, giving each
 * connection the session alone for as long as PostgreSQL's own per-connection state must not be shared:
 *
 * - from a connection's first message until the ReadyForQuery that ends its message group (a simple Query, or an
 *   extended-protocol Parse/Bind/Describe/Execute run up to its Sync), so no other connection's Parse or Bind can
 *   replace the unnamed statement or portal in between (`portal "" does not exist`, parameters bound into
 *   another statement), and an error's "skip until Sync" state cannot swallow another connection's messages;
 * - and, while ReadyForQuery reports a transaction ('T') or a failed one ('E'), until that connection leaves it,
 *   so its whole transaction runs alone, as it would on a server with one backend per connection.
 *
 * `@electric-sql/pglite-socket` 0.2.17 queues single messages instead, FIFO once no transaction is open, which
 * interleaves groups (FACTS.md, "PGlite behind a socket"). Each group runs as one `execProtocolRaw` call.
 *
 * Not emulated: a connection's session state outlives it (SET, named prepared statements, temp tables are the one
 * session's), as with a pooler in transaction mode; nothing in this project uses them across connections.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** ReadyForQuery's transaction status: idle, in a transaction, in a failed transaction. */
type TxStatus = "I" | "T" | "E";

export interface PgliteServerOptions {
  /**
   * The session to serve; a promise of it lets the server listen (and clients connect) while PGlite is still
   * starting: their messages wait for it, and fail with a FATAL error if it never starts.
   */
  readonly db: PGlite | Promise<PGlite>;
  readonly host?: string;
  readonly port?: number;
  /** Connections beyond this get PostgreSQL's `53300 too_many_connections` (default 64). */
  readonly maxConnections?: number;
  /**
   * A connection that holds the session (inside a transaction, or mid-group) with nothing to run while others
   * wait is terminated after this long, as PostgreSQL's `idle_in_transaction_session_timeout` does: one leaked
   * client must not hang the stack. Default 30 s.
   */
  readonly idleHoldTimeoutMs?: number;
  /** Told about each terminated or failed connection (the stack logs it). */
  readonly onWarning?: (message: string) => void;
}

export interface PgliteServer {
  /** host:port */
  readonly address: string;
  stop(): Promise<void>;
}

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  /** Bytes received and not yet split into messages. */
  pending: Buffer;
  /** Complete messages waiting to run, in order. */
  readonly inbox: Buffer[];
  started: boolean;
  closed: boolean;
}

/** PostgreSQL's ErrorResponse: severity, SQLSTATE, message. */
function errorResponse(severity: "ERROR" | "FATAL", code: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message}\0`, "utf8"),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0, "latin1");
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("Q", 0, "latin1");
  head.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([head, text]);
}

/** The status of the last ReadyForQuery in a backend output, or undefined when it holds none. */
export function lastReadyStatus(out: Uint8Array): TxStatus | undefined {
  const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  let status: TxStatus | undefined;
  let offset = 0;
  while (offset + 5 <= view.length) {
    const type = view[offset];
    const length = view.readInt32BE(offset + 1);
    if (type === 0x5a && offset + 5 < view.length) status = String.fromCharCode(view[offset + 5]) as TxStatus;
    offset += 1 + length;
  }
  return status;
}

/** A copy of a backend output whose last ReadyForQuery says idle (a new connection is never in a transaction). */
function withIdleStatus(out: Uint8Array): Buffer {
  const copy = Buffer.from(out);
  let last = -1;
  for (let offset = 0; offset + 5 <= copy.length; offset += 1 + copy.readInt32BE(offset + 1)) {
    if (copy[offset] === 0x5a) last = offset;
  }
  if (last !== -1) copy[last + 5] = 0x49;
  return copy;
}

export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  const session = Promise.resolve(options.db).then(async (db) => {
    await db.waitReady;
    return db;
  });
  // Awaited by every exec; a failure to start reaches each connection there, never as an unhandled rejection.
  session.catch(() => undefined);
  const maxConnections = options.maxConnections ?? 64;
  const idleHoldTimeoutMs = options.idleHoldTimeoutMs ?? 30_000;
  const warn = options.onWarning ?? (() => {});

  const connections = new Set<Connection>();
  /** Connections with messages to run, in arrival order (the owner is not in it while it runs). */
  const waiting: Connection[] = [];
  /** The connection the session belongs to, until its group ends outside a transaction. */
  let owner: Connection | undefined;
  /** Whether the owner's last group ended (ReadyForQuery seen) with the session idle. */
  let running = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let nextId = 1;
  let stopping = false;
  /**
   * The session's answer to the first startup message (AuthenticationOk, ParameterStatus..., ReadyForQuery).
   * Later connections get a copy at once instead of waiting for the session: a connect must not queue behind
   * another connection's transaction (pg's connect timeout would fire), and the one session was set up once.
   */
  let startupAnswer: Buffer | undefined;

  const exec = async (message: Buffer): Promise<Uint8Array> => {
    const db = await session;
    return db.runExclusive(() => db.execProtocolRaw(message));
  };

  const clearIdleTimer = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
  };

  /** Puts the session back to idle after its owner vanished mid-group or mid-transaction. */
  const recover = async () => {
    let status = lastReadyStatus(await exec(SYNC));
    if (status !== "I") status = lastReadyStatus(await exec(simpleQuery("ROLLBACK")));
    if (status !== "I") warn(`the embedded database session did not return to idle (status ${status})`);
  };

  const release = () => {
    owner = undefined;
    clearIdleTimer();
  };

  /** Armed once per idle hold (not re-armed by each newcomer, so a steady stream of waiters cannot defer it). */
  const armIdleTimer = () => {
    if (idleTimer || !owner || waiting.length === 0) return;
    const held = owner;
    idleTimer = setTimeout(() => {
      if (owner !== held || held.inbox.length > 0) return;
      warn(
        `terminating embedded-database connection ${held.id}: it held the session idle for ${idleHoldTimeoutMs} ms while ${waiting.length} other connection(s) waited`,
      );
      held.socket.end(
        errorResponse("FATAL", "25P03", "terminating connection due to idle-in-transaction timeout"),
      );
      void closeConnection(held);
    }, idleHoldTimeoutMs);
    idleTimer.unref();
  };

  /** Runs what the owner has, then hands the session on: the single loop that touches PGlite. */
  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        if (!owner) {
          const next = waiting.shift();
          if (!next) return;
          owner = next;
        }
        const conn = owner;
        if (conn.inbox.length === 0) {
          // Holding the session (transaction or unfinished group) and waiting for this connection's next message.
          armIdleTimer();
          return;
        }
        clearIdleTimer();
        // One group: every message up to and including the first Sync, Query or startup message (pg sends a query's
        // whole group in one write, so this is usually the whole inbox); messages after it wait for the next turn.
        let end = conn.inbox.findIndex((m) => m[0] === 0x53 || m[0] === 0x51 || m[0] === 0);
        end = end === -1 ? conn.inbox.length : end + 1;
        const group = conn.inbox.splice(0, end);
        let out: Uint8Array;
        try {
          out = await exec(Buffer.concat(group));
        } catch (err) {
          warn(`the embedded database failed a message group of connection ${conn.id}: ${String(err)}`);
          if (!conn.closed)
            conn.socket.end(errorResponse("FATAL", "XX000", `embedded database failure: ${String(err)}`));
          conn.closed = true;
          connections.delete(conn);
          await recover().catch(() => {});
          release();
          continue;
        }
        const status = lastReadyStatus(out);
        if (group[0]?.[0] === 0 && status !== undefined && !startupAnswer)
          startupAnswer = withIdleStatus(out);
        if (!conn.closed && out.length > 0) conn.socket.write(out);
        if (conn.closed) {
          // It left while its group ran: undo what it left open.
          if (status !== "I") await recover();
          release();
        } else if (status === "I") {
          release();
          if (conn.inbox.length > 0) waiting.push(conn);
        }
        // status T/E, or no ReadyForQuery yet (group without Sync, e.g. Parse then Flush): it keeps the session.
      }
    } finally {
      running = false;
    }
  };

  const closeConnection = async (conn: Connection) => {
    if (conn.closed) return;
    conn.closed = true;
    connections.delete(conn);
    conn.inbox.length = 0;
    const queued = waiting.indexOf(conn);
    if (queued !== -1) waiting.splice(queued, 1);
    if (owner === conn && !running) {
      // It held the session between groups (open transaction, or a group without its Sync): roll it back.
      running = true;
      try {
        await recover();
      } catch (err) {
        warn(`could not roll back connection ${conn.id}'s transaction: ${String(err)}`);
      } finally {
        running = false;
        release();
      }
    }
    void pump();
  };

  /** Splits received bytes into messages; answers what needs no session (SSL, GSS, cancel, terminate). */
  const receive = (conn: Connection, data: Buffer) => {
    conn.pending = conn.pending.length === 0 ? data : Buffer.concat([conn.pending, data]);
    let queuedAny = false;
    while (!conn.closed) {
      const buf = conn.pending;
      if (!conn.started) {
        if (buf.length < 8) break;
        const length = buf.readInt32BE(0);
        if (buf.length < length) break;
        const code = buf.readInt32BE(4);
        conn.pending = buf.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          conn.socket.write("N");
        } else if (code === CANCEL_REQUEST) {
          // PGlite has no backend to signal; the protocol expects no answer.
          conn.socket.end();
          void closeConnection(conn);
        } else if (code === PROTOCOL_3) {
          conn.started = true;
          if (startupAnswer) {
            conn.socket.write(startupAnswer);
          } else {
            conn.inbox.push(buf.subarray(0, length));
            queuedAny = true;
          }
        } else {
          conn.socket.end(
            errorResponse("FATAL", "08P01", `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`),
          );
          void closeConnection(conn);
        }
        continue;
      }
      if (buf.length < 5) break;
      const length = 1 + buf.readInt32BE(1);
      if (buf.length < length) break;
      const message = buf.subarray(0, length);
      conn.pending = buf.subarray(length);
      if (message[0] === 0x58) {
        // Terminate: never handed to PGlite (it is the session's, not this connection's); close and clean up.
        conn.socket.end();
        void closeConnection(conn);
        break;
      }
      conn.inbox.push(message);
      queuedAny = true;
    }
    if (queuedAny && owner !== conn && !waiting.includes(conn)) waiting.push(conn);
    void pump();
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const conn: Connection = {
      id: nextId++,
      socket,
      pending: Buffer.alloc(0),
      inbox: [],
      started: false,
      closed: false,
    };
    if (stopping || connections.size >= maxConnections) {
      socket.end(errorResponse("FATAL", "53300", "sorry, too many clients already"));
      return;
    }
    connections.add(conn);
    socket.on("data", (data) => receive(conn, data));
    socket.on("error", () => void closeConnection(conn));
    socket.on("close", () => void closeConnection(conn));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound !== "object")
    throw new Error("the embedded database server has no address");

  return {
    address: `${bound.address}:${bound.port}`,
    async stop() {
      stopping = true;
      clearIdleTimer();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of connections) conn.socket.destroy();
      await closed;
      // Let a group in flight finish (and a left transaction roll back) before the caller closes PGlite.
      while (running) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}
