"""Thin endpoints of profile photos: your own, and other people's as far as they show it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.users.photos.schemas import Photo
from disco.users.photos.service import PhotosService

router = APIRouter(prefix="/v1/users", tags=["users"])

Service = Annotated[PhotosService, Depends(from_state("photos"))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _jpeg(data: bytes) -> Response:
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/me/photo", status_code=status.HTTP_201_CREATED)
async def upload_photo(
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    principal: CurrentPrincipal,
    photos: Service,
    uow: Uow,
) -> Photo:
    # One byte over the cap is enough to know it is too big.
    upload = await photo.read(photos.max_bytes + 1)
    return Photo(photo_url=await photos.set_photo(uow, principal.user_id, upload))


# Before /{user_id}/photo, which would take "me" for a user id.
@router.get("/me/photo")
async def my_photo(principal: CurrentPrincipal, photos: Service, uow: Uow) -> Response:
    return _jpeg(await photos.photo(uow, principal.user_id, principal.user_id))


@router.delete("/me/photo", status_code=NO_CONTENT)
async def delete_photo(principal: CurrentPrincipal, photos: Service, uow: Uow) -> Response:
    await photos.delete_photo(uow, principal.user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/{user_id}/photo")
async def photo(user_id: str, principal: CurrentPrincipal, photos: Service, uow: Uow) -> Response:
    return _jpeg(await photos.photo(uow, principal.user_id, user_id))
