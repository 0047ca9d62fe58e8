"""Use cases for labels: the workspace's list, and labels on posts."""

from collections.abc import Sequence

from core.errors import NotFound, ValidationFailed
from core.labels import Label, normalise_label
from core.posts import Post
from core.roles import Action
from core.usecases.context import Actor, Services, find_post, load_actor


async def list_labels(svc: Services, actor: Actor) -> list[Label]:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        return await uow.labels.list(actor.workspace_id)


async def add_label(svc: Services, actor: Actor, raw: str) -> Label:
    name = normalise_label(raw)
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_LABELS)
        if await uow.labels.by_name(actor.workspace_id, name):
            raise ValidationFailed(f"The label “{name}” already exists.")
        label = await uow.labels.add(Label(actor.workspace_id, name))
        await uow.commit()
    return label


async def remove_label(svc: Services, actor: Actor, raw: str) -> Label:
    """Delete a label everywhere; the posts that carried it keep everything else."""
    name = normalise_label(raw)
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_LABELS)
        label = await uow.labels.by_name(actor.workspace_id, name)
        if label is None:
            raise NotFound(f"There is no label “{name}”; `labels` lists them.")
        await uow.labels.remove(label.id)
        await uow.commit()
    return label


async def label_post(svc: Services, actor: Actor, number: int, raw: Sequence[str]) -> Post:
    """Attach labels to a post; a label not declared yet is created on the way."""
    names = [normalise_label(r) for r in raw]
    if not names:
        raise ValidationFailed("Which labels? e.g. `label 4 launch,q4`.")
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.WRITE_POST)
        post = await find_post(uow, actor.workspace_id, number)
        post.labels = list(dict.fromkeys([*post.labels, *names]))
        await uow.posts.set_labels(post)
        await uow.commit()
    return post


async def unlabel_post(svc: Services, actor: Actor, number: int, raw: str) -> Post:
    name = normalise_label(raw)
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.WRITE_POST)
        post = await find_post(uow, actor.workspace_id, number)
        if name not in post.labels:
            raise NotFound(f"Post {number} has no label “{name}”.")
        post.labels = [n for n in post.labels if n != name]
        await uow.posts.set_labels(post)
        await uow.commit()
    return post
