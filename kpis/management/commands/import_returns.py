"""Check, and with --commit save, a workbook of monthly returns: the performance team's bulk load."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kpis.returns_import import check_returns, commit_returns
from kpis.services import EditConflictError, PeriodLockedError, ReturnInvalidError
from pmf.periods import Period


class Command(BaseCommand):
    help = (
        "Check every row of a returns workbook with the rules of the browser, and print each problem "
        "with its cell. Nothing is saved without --commit, and nothing at all if any row has an error. "
        "The last line reads 'N rows, E errors, W warnings'; the command exits with status 1 on errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--commit", action="store_true", help="Save the returns when no row has an error.")
        parser.add_argument("--user", help="Username to check permissions for and to record as the editor.")
        parser.add_argument("--period", help="The month every row must be for, such as 2014-09.")

    def handle(self, *args, file, commit, user=None, period=None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: file not found.")
        if commit and not user:
            raise CommandError("--commit needs --user: the returns are saved in someone's name.")
        importer = find_user(user) if user else None
        chosen = parse_period(period) if period else None

        report = check_returns(file.read_bytes(), user=importer, period=chosen, today=timezone.localdate())
        if importer is None:
            self.stdout.write("Permissions were not checked: name a user with --user to check them.")
        self.write_report(report)
        if report.is_valid and commit:
            self.commit(report, importer)
        elif report.is_valid:
            self.stdout.write("Nothing was saved: run again with --commit to save.")
        self.stdout.write(report.summary())
        if not report.is_valid:
            raise SystemExit(1)

    def write_report(self, report) -> None:
        for problem in report.errors:
            self.stdout.write(f"Error   {problem}")
        for problem in report.warnings:
            self.stdout.write(f"Warning {problem}")
        if report.errors:
            return
        for row in report.rows:
            self.stdout.write(
                f"Row {row.number}: {row.kpi.reference} {row.period.label} {row.value_display or '(no value)'} "
                f"{row.rating.label}: {row.outcome}"
            )

    def commit(self, report, user) -> None:
        try:
            saved = commit_returns(report, user=user)
        except (EditConflictError, ReturnInvalidError) as error:
            raise CommandError(f"{error} Nothing was saved.") from error
        except PeriodLockedError as error:
            raise CommandError(f"{error.message} Nothing was saved.") from error
        self.stdout.write(f"Saved {saved} return{'s' if saved != 1 else ''}.")


def find_user(username: str):
    try:
        return get_user_model().objects.select_related("profile").get(username=username)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"There is no user named {username}.") from error


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise CommandError(str(error)) from error
