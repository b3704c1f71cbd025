/**
 * The Google Chat notifier (pkg/notifier/gchat.go): one card headed "Flagger" with the canary
 * as subtitle, a section for the message, then one section per field. No token.
 */
import type { AlertMessage, AlertPoster } from './client';
import { invalidHookUrl, postWrapped } from './client';

const paragraph = (text: string) => ({ widgets: [{ textParagraph: { text } }] });

/** GChatPayload, in struct field order; the HTML is Flagger's, unescaped as Flagger sends it. */
export function gchatPayload(m: AlertMessage): unknown {
  return {
    cards: [
      {
        header: {
          title: 'Flagger',
          subtitle: `${m.workload}.${m.namespace}`,
          imageUrl: 'https://flagger.app/favicon.png',
        },
        sections: [
          paragraph(`<font color=#848484><strong>${m.message}</strong></font>`),
          ...m.fields.map((f) =>
            paragraph(`${f.name}<br><font color=#848484><strong>${f.value}</strong></font>`),
          ),
        ],
      },
    ],
  };
}

export const gchatPoster: AlertPoster = {
  validate: (target) => invalidHookUrl('Google Chat webhook', target.url),
  post: (target, message, postMessage) =>
    postWrapped(postMessage, target.url, '', target.proxy, gchatPayload(message)),
};
