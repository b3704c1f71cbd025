/**
 * The preload exposes exactly the API contract to the renderer (contextIsolation on,
 * sandboxed): an invoke and an event subscription. No Node, no ipcRenderer, nothing else.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEvent, InvokeOutcome } from '../shared/api';
import { IPC_EVENT, IPC_INVOKE } from '../shared/transport';

const bridge = {
  invoke(method: string, args: unknown): Promise<InvokeOutcome<unknown>> {
    return ipcRenderer.invoke(IPC_INVOKE, method, args) as Promise<InvokeOutcome<unknown>>;
  },
  onEvent(listener: (event: ApiEvent) => void): () => void {
    const handler = (_: IpcRendererEvent, event: ApiEvent): void => listener(event);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

export type AviaryBridge = typeof bridge;

contextBridge.exposeInMainWorld('aviary', bridge);
