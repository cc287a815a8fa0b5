from django.apps import AppConfig


class DemoappConfig(AppConfig):
    name = "demo.demoapp"
    label = "demoapp"
    verbose_name = "Demo app"
