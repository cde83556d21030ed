import { io } from 'socket.io-client';
import { getAdminToken } from '../auth/token';
import type { ExperimentStatus, Progress } from './api';

/**
 * Watches an experiment over socket.io (`/traces`, `subscribe {experimentId}`): its progress as it goes, then its end.
 * Subscribes again after a reconnect (the server answers with the current progress first). Returns the stop function.
 */
export function watchExperiment(
  experimentId: string,
  on: { progress: (progress: Progress) => void; completed: (status: ExperimentStatus, progress: Progress) => void },
): () => void {
  const socket = io('/traces', {
    transports: ['websocket', 'polling'],
    forceNew: true,
    auth: (cb) => cb({ token: getAdminToken() ?? undefined }),
  });
  socket.on('connect', () => socket.emit('subscribe', { experimentId }));
  socket.on('experiment.progress', (event: Progress & { experimentId: string }) => {
    if (event.experimentId === experimentId)
      on.progress({ done: event.done, total: event.total, errors: event.errors });
  });
  socket.on('experiment.completed', (event: { experimentId: string; status: ExperimentStatus; progress: Progress }) => {
    if (event.experimentId === experimentId) on.completed(event.status, event.progress);
  });
  return () => {
    socket.disconnect();
  };
}
