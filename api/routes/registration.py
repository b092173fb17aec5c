"""Routes for this process (being written)."""

from fastapi import APIRouter

router = APIRouter()
