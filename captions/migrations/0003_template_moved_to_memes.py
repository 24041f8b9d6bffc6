import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('captions', '0002_learning_loop'),
        ('memes', '0001_initial'),
    ]

    # The template moved to the memes app; its table did not, so only the state changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='caption',
                    name='template',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='captions', to='memes.template'),
                ),
            ],
            database_operations=[],
        ),
    ]
