"""One publisher of the embedded-broker flood test: `python -m
tests.services.flood_publisher PREFIX COUNT` sends COUNT pings with the task ids
PREFIX-0 … PREFIX-(COUNT-1) through the project's Celery app (the settings of
the environment), then prints how many it sent."""

import sys


def main(prefix: str, count: int) -> None:
    from safety_portal.celery import app

    with app.producer_or_acquire() as producer:
        for number in range(count):
            app.send_task("safety_portal.ping", args=[f"{prefix}-{number}"],
                          task_id=f"{prefix}-{number}", ignore_result=True,
                          producer=producer)
    print(count)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
