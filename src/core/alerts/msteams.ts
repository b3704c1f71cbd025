/**
 * The Microsoft Teams notifier (pkg/notifier/teams.go): a MessageCard with the message as the
 * activity title and the fields as facts; blue, red on error. Teams takes no token, username
 * or channel.
 */
import type { AlertMessage, AlertPoster } from './client';
import { invalidHookUrl, postWrapped } from './client';

/** MSTeamsPayload, in struct field order. */
export function msteamsPayload(m: AlertMessage): unknown {
  const subject = `${m.workload}.${m.namespace}`;
  return {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: m.severity === 'error' ? 'FF0000' : '0076D7',
    summary: subject,
    sections: [
      {
        activityTitle: m.message,
        activitySubtitle: subject,
        facts: m.fields.map((f) => ({ name: f.name, value: f.value })),
      },
    ],
  };
}

export const msteamsPoster: AlertPoster = {
  validate: (target) => invalidHookUrl('MS Teams webhook', target.url),
  post: (target, message, postMessage) =>
    postWrapped(postMessage, target.url, '', target.proxy, msteamsPayload(message)),
};
