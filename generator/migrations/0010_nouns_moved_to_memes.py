import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('captions', '0003_template_moved_to_memes'),
        ('gallery', '0002_meme_moved_to_memes'),
        ('generator', '0009_import_origin'),
        ('memes', '0001_initial'),
    ]

    # Template, TextBox and Meme moved to the memes app (memes/migrations/0001_initial.py), keeping their tables:
    # the generator forgets them in its state only, after every app that pointed at them points at memes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='job',
                    name='parent',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='remix_jobs', to='memes.meme'),
                ),
                migrations.AlterField(
                    model_name='job',
                    name='meme',
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='job', to='memes.meme'),
                ),
                migrations.AlterField(
                    model_name='job',
                    name='template',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='memes.template'),
                ),
                migrations.RemoveField(
                    model_name='textbox',
                    name='template',
                ),
                migrations.DeleteModel(
                    name='Meme',
                ),
                migrations.DeleteModel(
                    name='Template',
                ),
                migrations.DeleteModel(
                    name='TextBox',
                ),
            ],
            database_operations=[],
        ),
    ]
