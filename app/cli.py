"""flask commands. They call services, never raw SQL."""

from __future__ import annotations

import click
from flask import Flask, current_app

from .errors import DomainError
from .uow import UnitOfWork


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(["staff", "technician", "manager", "admin"]))
    @click.option("--name", default="")
    @click.password_option(help="At least 10 characters.")
    def create_user(email: str, role: str, name: str, password: str) -> None:
        """Add a user who can sign in."""
        from .auth.services import create_user as create

        try:
            user = create(
                email=email, name=name, role=role, password=password,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"], uow=UnitOfWork(),
            )
        except DomainError as err:
            raise click.ClickException(err.message) from None
        click.echo(f"Created {user.email} ({user.role}).")

    @app.cli.command("set-password")
    @click.argument("email")
    @click.password_option(help="At least 10 characters; asked for (twice) when not given.")
    def set_password(email: str, password: str) -> None:
        """Give a user a new password (for a locked-out administrator, or scripts); ends all their sessions."""
        from sqlalchemy import select

        from .auth.models import User
        from .auth.services import set_password as set_pw
        from .extensions import db

        user_id = db.session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise click.ClickException(f"No user with the email {email}.")
        try:
            user = set_pw(user_id=user_id, password=password,
                          hash_method=current_app.config["PASSWORD_HASH_METHOD"], uow=UnitOfWork())
        except DomainError as err:
            raise click.ClickException(err.message) from None
        click.echo(f"New password set for {user.email}; their sessions were signed out.")

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", default="command line", help="What will use the token.")
    def create_token(email: str, name: str) -> None:
        """Make an API token for a user; it is printed once and stored only as a hash."""
        from sqlalchemy import select

        from .api.services import create_token as make
        from .auth.models import User
        from .extensions import db

        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user with the email {email}.")
        issued = make(user_id=user.id, name=name, uow=UnitOfWork())
        click.echo(issued.token)

    @app.cli.command("revoke-token")
    @click.argument("email")
    @click.option("--prefix", help="The token's first characters, as its owner's profile page lists them.")
    @click.option("--all", "every", is_flag=True, help="Revoke every active token of the user.")
    def revoke_token(email: str, prefix: str | None, every: bool) -> None:
        """Revoke a user's API token (one, by its prefix, or all): it stops working at once."""
        from .api.services import revoke_tokens_of

        if bool(prefix) == every:
            raise click.ClickException("Say which token: --prefix skt_AbCd… (from the list), or --all.")
        try:
            revoked = revoke_tokens_of(email=email, prefix=None if every else prefix, uow=UnitOfWork())
        except DomainError as err:
            raise click.ClickException(err.message) from None
        for token in revoked:
            click.echo(f"Revoked {token.prefix}… ({token.name}).")
        if not revoked:
            click.echo(f"{email} had no active token.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (first run).")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo data set (never in production)."""
        from . import demo

        if not current_app.config.get("SEED_DEMO_ALLOWED"):
            if if_empty:
                # `make run` asks on every start; in production the answer is simply "not here".
                click.echo("Production: demo data is never loaded; skipped.")
                return
            raise click.ClickException("Demo data is never loaded in production.")
        if if_empty and not demo.is_empty():
            click.echo("Database already has users; demo data not loaded.")
            return
        if not demo.is_empty():
            raise click.ClickException("The database is not empty; demo data only goes into an empty database.")
        click.echo("Loading demo data …")
        demo.seed(current_app, log=click.echo)
        click.echo("")
        click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
        for email, _name, role in demo.DEMO_USERS:
            click.echo(f"  {role:<11} {email}")
