/**
 * The Rocket.Chat notifier (pkg/notifier/rocket.go): the Slack payload to the hook URL, with
 * Rocket's colours (#0076D7, #FF0000 on error) and no token.
 */
import { slackCompatiblePoster } from './slack';

export const rocketPoster = slackCompatiblePoster({
  name: 'Rocket',
  colors: { ok: '#0076D7', error: '#FF0000' },
  sendsToken: false,
});
