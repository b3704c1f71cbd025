/**
 * The Slack notifier (pkg/notifier/slack.go) and the Slack payload that Discord and Rocket.Chat
 * send too (discord.go and rocket.go build the same SlackPayload; only the colours, the token
 * and Discord's "/slack" URL differ), so all three are made here from one description.
 */
import type { AlertMessage, AlertPoster, AlertTarget } from './client';
import { invalidHookUrl, postWrapped } from './client';

export type { AlertMessage, AlertPoster, AlertTarget, PostMessage } from './client';
export { NOTIFIER_TIMEOUT_MS, createPostMessage } from './client';

/** The attachment colour for an error alert and for anything else. */
export interface AttachmentColors {
  ok: string;
  error: string;
}

export const SLACK_COLORS: AttachmentColors = { ok: 'good', error: 'danger' };

/** SlackPayload with its attachment; struct field order, `text` omitted (omitempty). */
export function slackPayload(
  target: Pick<AlertTarget, 'channel' | 'username'>,
  m: AlertMessage,
  colors: AttachmentColors = SLACK_COLORS,
): unknown {
  return {
    channel: target.channel,
    username: target.username,
    icon_url: '',
    icon_emoji: ':rocket:',
    attachments: [
      {
        color: m.severity === 'error' ? colors.error : colors.ok,
        author_name: `${m.workload}.${m.namespace}`,
        text: m.message,
        mrkdwn_in: ['text'],
        fields: m.fields.map((f) => ({ title: f.name, value: f.value, short: false })),
      },
    ],
  };
}

export interface SlackCompatibleNotifier {
  /** The name in the constructor's errors: "Slack", "Discord", "Rocket". */
  name: string;
  colors: AttachmentColors;
  /** Only Slack sends the secret's token (as Bearer); Discord and Rocket post with "". */
  sendsToken: boolean;
  /** Where the payload goes, from a valid hook URL (Discord appends "/slack"). */
  hookUrl?: (url: string) => string;
}

/** New<Name> (URL, then username, then channel) and Post with the Slack payload. */
export function slackCompatiblePoster(notifier: SlackCompatibleNotifier): AlertPoster {
  return {
    validate(target) {
      const invalid = invalidHookUrl(`${notifier.name} hook`, target.url);
      if (invalid !== undefined) return invalid;
      if (!target.username) return `empty ${notifier.name} username`;
      if (!target.channel) return `empty ${notifier.name} channel`;
      return undefined;
    },
    post(target, message, postMessage) {
      const url = notifier.hookUrl ? notifier.hookUrl(target.url) : target.url;
      return postWrapped(
        postMessage,
        url,
        notifier.sendsToken ? target.token : '',
        target.proxy,
        slackPayload(target, message, notifier.colors),
      );
    },
  };
}

export const slackPoster: AlertPoster = slackCompatiblePoster({
  name: 'Slack',
  colors: SLACK_COLORS,
  sendsToken: true,
});
