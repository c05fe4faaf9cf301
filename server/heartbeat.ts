/**
 * Finds sockets whose other end is gone without a word (a laptop closed, a
 * network that dropped): every round pings each socket, and one that has not
 * answered since the previous round is terminated. Its close event then runs
 * as for any other close: the relay removes its presence at once and unloads
 * the room once nobody is left.
 */
import type WebSocket from 'ws';

export interface Heartbeat {
  /**
   * Watches one socket. `held` says when the relay itself has stopped reading
   * it (backpressure): a pong cannot arrive then, so the socket is spared.
   */
  watch(ws: WebSocket, options: { held: () => boolean; onDead: () => void }): void;
  stop(): void;
}

interface Watched {
  alive: boolean;
  held: () => boolean;
  onDead: () => void;
}

/** Pings every `intervalMs`; 0 turns the heartbeat off. */
export function startHeartbeat(intervalMs: number): Heartbeat {
  const sockets = new Map<WebSocket, Watched>();
  const round = () => {
    for (const [ws, watched] of sockets) {
      if (watched.held()) watched.alive = true;
      if (!watched.alive) {
        sockets.delete(ws);
        watched.onDead();
        ws.terminate();
        continue;
      }
      watched.alive = false;
      ws.ping();
    }
  };
  const timer = intervalMs > 0 ? setInterval(round, intervalMs) : null;
  timer?.unref();
  return {
    watch(ws, { held, onDead }) {
      if (!timer) return;
      const watched: Watched = { alive: true, held, onDead };
      sockets.set(ws, watched);
      const answered = () => {
        watched.alive = true;
      };
      // Any frame from the client shows it is there, not only a pong.
      ws.on('pong', answered);
      ws.on('message', answered);
      ws.on('close', () => sockets.delete(ws));
    },
    stop() {
      if (timer) clearInterval(timer);
      sockets.clear();
    }
  };
}
