"""The logger slack_sdk and bolt write through: what they say, never what was sent.

Both libraries log whole requests and answers at DEBUG: form bodies with trigger ids,
response_urls posted to (with the reply), oauth.v2.access answers holding the new bot
token, every Socket Mode envelope (verification token, response_url, trigger_id). bolt
also logs the raw body of a request whose signature fails, at INFO. Every client,
webhook, Socket Mode client and bolt app we build is given :func:`sdk_logger`, which
never goes below INFO (whatever the root level) and drops the lines that carry a body.
Our own refusals are logged by ``bot.slack.endpoint`` with the team and the reason.
"""

import logging

NAME = "trypost.slack_sdk"
# Lines of slack_sdk / bolt at INFO and above that quote a request body.
_BODY_LINES = ("Invalid request signature detected",)


class _NoBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_BODY_LINES)


def sdk_logger() -> logging.Logger:
    """The logger to hand to slack_sdk and bolt (bolt copies its level and filters onto
    the loggers it makes for its middleware and listeners)."""
    logger = logging.getLogger(NAME)
    if logger.level < logging.INFO:  # NOTSET included: the root's DEBUG must not reach it
        logger.setLevel(logging.INFO)
    if not any(isinstance(f, _NoBodies) for f in logger.filters):
        logger.addFilter(_NoBodies())
    return logger
