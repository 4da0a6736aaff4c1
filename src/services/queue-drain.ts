// Draining a durable queue (the mail outbox, the back-channel logout queue) in batches, one drain at a time per
// process: a call while one runs asks it to go round once more, and every caller waits for that same run.

/**
 * `processBatch` handles up to `batch` due items and says how many it took; a full batch means more may be waiting.
 * `stopped` is asked between batches (shutdown, close).
 */
export function queueDrainer(processBatch: () => Promise<number>, batch: number, stopped: () => boolean): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while (!stopped() && (await processBatch()) === batch);
        } while (again && !stopped());
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
