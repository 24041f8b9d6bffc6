from django.conf import settings
from django.db import migrations, models


def photos_name(apps, schema_editor):
    LabelledFace = apps.get_model("expressions", "LabelledFace")
    for face in LabelledFace.objects.using(schema_editor.connection.alias).exclude(job=None).only("job_id"):
        face.photo = f"job:{face.job_id}"
        face.save(update_fields=["photo"])


def photos_name_back(apps, schema_editor):
    LabelledFace = apps.get_model("expressions", "LabelledFace")
    for face in LabelledFace.objects.using(schema_editor.connection.alias).filter(photo__startswith="job:"):
        face.job_id = face.photo.removeprefix("job:")
        face.save(update_fields=["job"])


class Migration(migrations.Migration):

    dependencies = [
        ('expressions', '0002_private_faces'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # A labelled face named the generator's job it came from; now it names its photo (job:<id>), so that this app
    # needs nothing of the generator's.
    operations = [
        migrations.AddField(
            model_name='labelledface',
            name='photo',
            field=models.CharField(blank=True, db_index=True, help_text='Which photo the face is from, e.g. job:<id>.', max_length=64),
        ),
        migrations.RunPython(photos_name, photos_name_back),
        migrations.RemoveConstraint(
            model_name='labelledface',
            name='one_label_per_job_face',
        ),
        migrations.RemoveField(
            model_name='labelledface',
            name='job',
        ),
        migrations.AlterField(
            model_name='labelledface',
            name='face',
            field=models.PositiveSmallIntegerField(default=0, help_text="Which of the photo's faces, 0 the largest."),
        ),
        migrations.AddConstraint(
            model_name='labelledface',
            constraint=models.UniqueConstraint(condition=models.Q(('photo', ''), _negated=True), fields=('photo', 'face'), name='one_label_per_photo_face'),
        ),
    ]
