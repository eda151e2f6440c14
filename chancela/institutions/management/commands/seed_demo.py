from typing import Any

from django.core.management.base import BaseCommand

from chancela.demo import demo_exists, demo_summary, seed_demo


class Command(BaseCommand):
    help = "Create the demo institution (units, users, a sandbox configuration, people)."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo institution created."))
        self.stdout.write(demo_summary(logins))
