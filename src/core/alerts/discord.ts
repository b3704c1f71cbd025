/**
 * The Discord notifier (pkg/notifier/discord.go): Discord's Slack-compatible webhook, so the
 * Slack payload (good/danger, no token) goes to the hook URL with "/slack" appended.
 */
import { posix } from 'node:path';
import { slackCompatiblePoster, SLACK_COLORS } from './slack';

/** path.Join(webhook.Path, "slack") unless the URL already ends in "/slack". */
export function discordSlackUrl(hookUrl: string): string {
  if (hookUrl.endsWith('/slack')) return hookUrl;
  if (hookUrl.startsWith('/')) {
    // An absolute path (url.ParseRequestURI accepts one): join before the query.
    const at = hookUrl.search(/[?#]/);
    const path = at < 0 ? hookUrl : hookUrl.slice(0, at);
    return `${posix.join(path, 'slack')}${at < 0 ? '' : hookUrl.slice(at)}`;
  }
  const url = new URL(hookUrl);
  url.pathname = posix.join(url.pathname || '/', 'slack');
  return url.toString();
}

export const discordPoster = slackCompatiblePoster({
  name: 'Discord',
  colors: SLACK_COLORS,
  sendsToken: false,
  hookUrl: discordSlackUrl,
});
