"""reddit cache: posts, comments, listings, comment fetches, subreddit names

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reddit_posts",
        sa.Column("reddit_id", sa.String(length=16), nullable=False),
        sa.Column("subreddit", sa.String(length=32), nullable=False),
        sa.Column("subreddit_key", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("num_comments", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("permalink", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("reddit_id"),
    )
    op.create_index("ix_reddit_posts_fetched_at", "reddit_posts", ["fetched_at"])
    op.create_index(
        "ix_reddit_posts_origin_sub_created", "reddit_posts", ["origin", "subreddit_key", "created_at"]
    )
    op.create_table(
        "reddit_comments",
        sa.Column("reddit_id", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=16), nullable=False),
        sa.Column("subreddit", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("permalink", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("reddit_id"),
    )
    op.create_index("ix_reddit_comments_post_id", "reddit_comments", ["post_id"])
    op.create_index("ix_reddit_comments_fetched_at", "reddit_comments", ["fetched_at"])
    op.create_table(
        "reddit_listings",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("covered_start", TS, nullable=False),
        sa.Column("covered_end", TS, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("older_cursor", sa.String(length=32), nullable=True),
        sa.Column("reached_cap", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_reddit_listings_fetched_at", "reddit_listings", ["fetched_at"])
    op.create_table(
        "reddit_listing_posts",
        sa.Column("listing_key", sa.String(length=400), nullable=False),
        sa.Column("reddit_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("listing_key", "reddit_id"),
    )
    op.create_index("ix_reddit_listing_posts_reddit_id", "reddit_listing_posts", ["reddit_id"])
    op.create_table(
        "reddit_comment_fetches",
        sa.Column("post_id", sa.String(length=16), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_index("ix_reddit_comment_fetches_fetched_at", "reddit_comment_fetches", ["fetched_at"])
    op.create_table(
        "reddit_subreddits",
        sa.Column("name_key", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("checked_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )


def downgrade() -> None:
    op.drop_table("reddit_subreddits")
    op.drop_index("ix_reddit_comment_fetches_fetched_at", table_name="reddit_comment_fetches")
    op.drop_table("reddit_comment_fetches")
    op.drop_index("ix_reddit_listing_posts_reddit_id", table_name="reddit_listing_posts")
    op.drop_table("reddit_listing_posts")
    op.drop_index("ix_reddit_listings_fetched_at", table_name="reddit_listings")
    op.drop_table("reddit_listings")
    op.drop_index("ix_reddit_comments_fetched_at", table_name="reddit_comments")
    op.drop_index("ix_reddit_comments_post_id", table_name="reddit_comments")
    op.drop_table("reddit_comments")
    op.drop_index("ix_reddit_posts_origin_sub_created", table_name="reddit_posts")
    op.drop_index("ix_reddit_posts_fetched_at", table_name="reddit_posts")
    op.drop_table("reddit_posts")
