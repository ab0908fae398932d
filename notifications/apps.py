from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        # The diary says what happened; this app decides who is told (the diary
        # never imports notifications).
        from diary.signals import account_closed, flag_raised
        from notifications.services.alerts import flag_raised_received
        from notifications.services.devices import account_closed_received

        flag_raised.connect(flag_raised_received, dispatch_uid="notifications.flag_raised")
        account_closed.connect(account_closed_received, dispatch_uid="notifications.closed")
