/**
 * Electron main process: a window, a menu, and the API contract over IPC. Thin on
 * purpose: everything else is the same AviaryService web mode uses.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  safeStorage,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAviaryService, type AviaryService } from '../core/service';
import {
  parseListenAddress,
  startMetricsServer,
  type MetricsServer,
} from '../core/controller/metrics-endpoint';
import {
  EncryptedFileStore,
  firstAvailableStore,
  type SecretCipher,
} from '../core/secrets/encrypted-file-store';
import { createKeytarStore } from '../core/secrets/keytar-store';
import { configDir, SettingsStore, type WindowBounds } from '../core/settings';
import { dispatchInvoke } from '../shared/dispatch';
import type { InvokeOutcome } from '../shared/api';
import { CONTENT_SECURITY_POLICY, IPC_EVENT, IPC_INVOKE } from '../shared/transport';

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

function argValues(name: string): string[] {
  const values: string[] = [];
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name && argv[i + 1]) values.push(argv[++i]!);
    else if (argv[i]?.startsWith(`${name}=`)) values.push(argv[i]!.slice(name.length + 1));
  }
  return values;
}

// Settings are shared with web mode, so both modes remember the same files and selection.
app.setPath('userData', configDir());

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(start);
}

let window: BrowserWindow | undefined;

async function start(): Promise<void> {
  const settings = SettingsStore.inDir(configDir());
  await settings.load();
  const service = createAviaryService({
    host: {
      mode: 'electron',
      version: app.getVersion(),
      electronVersion: process.versions.electron,
      pickFile: async () => {
        const result = window
          ? await dialog.showOpenDialog(window, {
              title: 'Add a kubeconfig file',
              properties: ['openFile', 'showHiddenFiles'],
            })
          : undefined;
        return result && !result.canceled ? result.filePaths[0] : undefined;
      },
    },
    settings,
    kubeconfigFlag: argValues('--kubeconfig').length ? argValues('--kubeconfig') : undefined,
    playgroundKubeconfig: argValues('--playground-kubeconfig')[0],
    // The OS keychain through keytar, else values encrypted with safeStorage's OS-held key.
    secrets: firstAvailableStore([
      createKeytarStore(),
      new EncryptedFileStore(join(configDir(), 'secrets.json'), safeStorageCipher()),
    ]),
    log,
  });
  await service.start();
  // Flagger's /metrics, when `npm start -- --metrics-address` passed it on (core/controller/metrics-endpoint.ts).
  const metricsAddress = argValues('--metrics-address')[0];
  let metrics: MetricsServer | undefined;
  if (metricsAddress) {
    try {
      metrics = await startMetricsServer({
        ...parseListenAddress(metricsAddress),
        render: () => service.flaggerMetrics.render(),
      });
    } catch (err) {
      log(`--metrics-address: ${(err as Error).message}`);
    }
  }
  wireIpc(service);
  Menu.setApplicationMenu(buildMenu(service));
  window = createWindow(settings);

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => {
    void Promise.all([metrics?.close(), service.stop()]).finally(() => app.quit());
  });
}

const rendererIndex = (): string => join(import.meta.dirname, '../renderer/index.html');

/** Only our own renderer page may call the API. */
/**
 * Electron's safeStorage as a SecretCipher. On Linux without a Secret Service it falls back
 * to "basic_text", a key written in Chromium's source: that is plain text in all but name,
 * so it counts as no keychain.
 */
function safeStorageCipher(): SecretCipher {
  return {
    available: () => {
      if (!safeStorage.isEncryptionAvailable())
        return { ok: false, reason: "Electron's safeStorage has no OS key" };
      if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text')
        return {
          ok: false,
          reason: "Electron's safeStorage would use a built-in key (no Secret Service running)",
        };
      return { ok: true };
    },
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (encrypted) => safeStorage.decryptString(encrypted),
  };
}

function fromOwnRenderer(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return (
    Boolean(window && event.sender === window.webContents) &&
    url.startsWith(pathToFileURL(rendererIndex()).href)
  );
}

function wireIpc(service: AviaryService): void {
  ipcMain.handle(
    IPC_INVOKE,
    async (event, method: unknown, args: unknown): Promise<InvokeOutcome<unknown>> => {
      if (!fromOwnRenderer(event))
        return { ok: false, error: { code: 'forbidden', message: 'unknown sender' } };
      // dispatchInvoke validates the method name and every argument against the contract.
      return dispatchInvoke(service.handlers, method, args);
    },
  );
  service.subscribe((event) => {
    if (window && !window.isDestroyed()) window.webContents.send(IPC_EVENT, event);
  });
}

function createWindow(settings: SettingsStore): BrowserWindow {
  const saved = settings.get().window;
  const win = new BrowserWindow({
    width: saved?.width ?? 1280,
    height: saved?.height ?? 800,
    ...(saved?.x !== undefined && saved?.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Aviary',
    backgroundColor: '#111318',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved?.maximized) win.maximize();

  // A strict CSP on everything this window loads (index.html carries the same as a meta tag).
  win.webContents.session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
  // The renderer never navigates away or opens windows; links to docs go to the browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });

  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const saveBounds = (): void => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      if (win.isDestroyed()) return;
      const b = win.getNormalBounds();
      const bounds: WindowBounds = {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
        maximized: win.isMaximized(),
      };
      void settings.update((draft) => {
        draft.window = bounds;
      });
    }, 500);
  };
  win.on('resize', saveBounds);
  win.on('move', saveBounds);
  win.on('maximize', saveBounds);
  win.on('unmaximize', saveBounds);

  win.once('ready-to-show', () => {
    win.show();
    // The launcher waits for this line to know Electron really started.
    process.stdout.write('aviary: window ready\n');
  });
  void win.loadFile(rendererIndex());
  return win;
}

function buildMenu(service: AviaryService): Menu {
  const isMac = process.platform === 'darwin';
  return Menu.buildFromTemplate([
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Add Kubeconfig…',
          accelerator: 'CmdOrCtrl+O',
          click: async () => {
            const picked = await service.handlers['kubeconfig.pickFile']({});
            if (picked.path) await service.handlers['kubeconfig.addFile']({ path: picked.path });
          },
        },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'Flagger documentation',
          click: () => void shell.openExternal('https://docs.flagger.app/'),
        },
      ],
    },
  ]);
}
