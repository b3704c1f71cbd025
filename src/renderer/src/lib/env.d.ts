/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { ApiEvent, InvokeOutcome, MethodName } from '../../../shared/api';

/**
 * What src/preload exposes with contextBridge as `window.aviary` (Electron only). The
 * envelope crosses IPC instead of a thrown error because Electron strips error fields.
 */
export interface AviaryBridge {
  invoke(method: MethodName, args: unknown): Promise<InvokeOutcome<unknown>>;
  /** Returns the function that removes the listener. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

declare global {
  interface Window {
    aviary?: AviaryBridge;
  }
}
