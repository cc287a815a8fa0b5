# As in django-uwsgi-taskmanager 2.x (same name, so 2.x databases line up).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("taskmanager", "0001_initial")]

    operations = [migrations.AlterModelOptions(name="report", options={})]
