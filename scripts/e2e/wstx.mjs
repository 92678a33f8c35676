// WebSocket helper for the e2e suite: a Comet38Client over cosmjs's WebsocketClient that waits for one Tx event.
//
// Two cosmjs 0.38.1 socket quirks are handled here (found against real CometBFT 0.38.26):
//  1. QueueingStreamingSocket.processQueue() leaves `isProcessingQueue = true` forever when the socket connects
//     while the request queue is empty, so any request queued *after* the connection opened is never sent.
//     => construct the WebsocketClient and subscribe in the same synchronous tick (the subscribe request is then
//        queued before the socket opens).
//  2. ReconnectingSocket reconnects after an explicit disconnect() (the Disconnected status schedules a reconnect),
//     which keeps the Node process alive forever. => clear that pending reconnect timer after disconnecting.
import { Comet38Client, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { firstEvent } from "@cosmjs/stream";
import { toHex } from "@cosmjs/encoding";

/**
 * Subscribes to `tm.event='Tx' AND tx.hash='<HEX>'` (the query shape Keplr's tx tracer uses).
 * Returns { subscribed: Promise<void>, event: Promise<TxEvent>, close() }.
 * `subscribed` resolves once the node acknowledged the subscription.
 */
export function subscribeTxByHash(rpcHttpUrl, hashHex, { timeoutMs = 30_000 } = {}) {
  const errors = [];
  const wsClient = new WebsocketClient(rpcHttpUrl.replace(/^http/, "ws"), (e) => errors.push(e));
  const comet = Comet38Client.create(wsClient);
  const query = `tx.hash='${hashHex.toUpperCase()}'`;
  // Same tick as the constructor (quirk 1).
  const stream = comet.subscribeTx(query);
  let timer;
  const event = Promise.race([
    firstEvent(stream),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no Tx event for ${hashHex} over WebSocket within ${timeoutMs} ms (${errors.join("; ")})`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  event.catch(() => {}); // handled by the caller; avoid an unhandled rejection if close() comes first

  // The subscribe ack has the same JSON-RPC id as our request; waiting for "connected" plus a short grace period
  // is enough in practice (CometBFT registers the subscription before it answers).
  const subscribed = wsClient.connected().then(() => new Promise((r) => setTimeout(r, 300)));

  const close = () => {
    try {
      comet.disconnect();
    } catch {
      // already closed
    }
    const rs = wsClient.socket; // ReconnectingSocket (quirk 2)
    if (rs?.reconnectTimeout) {
      clearTimeout(rs.reconnectTimeout);
      rs.reconnectTimeout = null;
    }
  };
  return { subscribed, event, close, errors, eventHashHex: (ev) => toHex(ev.hash).toUpperCase() };
}
