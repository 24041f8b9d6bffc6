import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0001_initial'),
        ('memes', '0001_initial'),
    ]

    # The meme moved to the memes app; its table did not, so only the state changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='report',
                    name='meme',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='memes.meme'),
                ),
                migrations.AlterField(
                    model_name='vote',
                    name='meme',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='memes.meme'),
                ),
            ],
            database_operations=[],
        ),
    ]
