"""Handlers for comments, reviews and invitations (registered with the dispatcher)."""

from bot.commands import requests as rq
from bot.commands.comment_views import comment_added, thread_reply
from bot.commands.dispatch import Context, handles, post_reply
from bot.commands.mentions import resolve
from core.messages import Reply, Tone
from core.states import PostStatus
from core.timeparse import show_time
from core.usecases import comments, members, reviews


@handles(rq.Comment)
async def _comment(req: rq.Comment, ctx: Context) -> Reply:
    said = await resolve(req.text, ctx.mention_pattern, ctx.person, ctx.services, ctx.actor)
    comment = await comments.add_comment(
        ctx.services, ctx.actor, req.post, said.text, reply_to=req.reply_to
    )
    return comment_added(comment, req.post, said.unknown)


@handles(rq.CommentEdit)
async def _comment_edit(req: rq.CommentEdit, ctx: Context) -> Reply:
    said = await resolve(req.text, ctx.mention_pattern, ctx.person, ctx.services, ctx.actor)
    comment = await comments.edit_comment(ctx.services, ctx.actor, req.comment, said.text)
    note = f" {', '.join(said.unknown)}: not a member here." if said.unknown else ""
    return Reply(text=f"✏️ Comment {comment.number} edited.{note}", tone=Tone.SUCCESS)


@handles(rq.CommentDelete)
async def _comment_delete(req: rq.CommentDelete, ctx: Context) -> Reply:
    comment = await comments.delete_comment(ctx.services, ctx.actor, req.comment)
    return Reply(text=f"🗑️ Comment {comment.number} deleted.", tone=Tone.SUCCESS)


@handles(rq.Comments)
async def _comments(req: rq.Comments, ctx: Context) -> Reply:
    return thread_reply(await comments.thread(ctx.services, ctx.actor, req.post), ctx.show_member)


@handles(rq.React)
async def _react(req: rq.React, ctx: Context) -> Reply:
    comment, added = await comments.react(ctx.services, ctx.actor, req.comment, req.emoji)
    glyph = comments.one_emoji(req.emoji)
    count = len(comment.reactions.get(glyph, []))
    if added:
        return Reply(text=f"{glyph} on comment {comment.number} ({count}).")
    return Reply(text=f"Took back your {glyph} on comment {comment.number} ({count} left).")


@handles(rq.Submit)
async def _submit(req: rq.Submit, ctx: Context) -> Reply:
    await reviews.submit_post(ctx.services, ctx.actor, req.post)
    return await post_reply(ctx, req.post, f"📝 Post {req.post} is waiting for review")


@handles(rq.Approve)
async def _approve(req: rq.Approve, ctx: Context) -> Reply:
    post = await reviews.approve_post(ctx.services, ctx.actor, req.post)
    if post.status is PostStatus.SCHEDULED and post.scheduled_at is not None:
        me = await members.whoami(ctx.services, ctx.actor)
        when = show_time(post.scheduled_at, me.member.zone(me.workspace))
        return await post_reply(ctx, req.post, f"👍 Approved post {req.post}: it goes out {when}")
    if post.scheduled_at is None and post.status is PostStatus.DRAFT:
        return await post_reply(
            ctx, req.post, f"👍 Approved post {req.post}; it has no time yet (`reschedule` it)"
        )
    return await post_reply(ctx, req.post, f"👍 Approved post {req.post}")


@handles(rq.RequestChanges)
async def _changes(req: rq.RequestChanges, ctx: Context) -> Reply:
    await reviews.request_changes(ctx.services, ctx.actor, req.post, req.feedback)
    return await post_reply(ctx, req.post, f"✏️ Asked for changes to post {req.post}")
