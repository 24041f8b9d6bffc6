import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import memes.models
import memesite.storage

MOVED = ["template", "textbox", "meme"]


def content_types_move(apps, schema_editor, source="generator", target="memes"):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    taken = content_types.filter(app_label=target).values_list("model", flat=True)
    content_types.filter(app_label=source, model__in=MOVED).exclude(model__in=list(taken)).update(app_label=target)


def content_types_move_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="memes", target="generator")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('generator', '0009_import_origin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The models moved here from the generator: their tables stay as they were (db_table), only Django's record of
    # which app owns them changes. Their content types move too, so that permissions and admin history are kept.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Template',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slug', models.SlugField(max_length=100, unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('image', models.ImageField(upload_to='templates/')),
                        ('tags', models.JSONField(blank=True, default=list, help_text='A list of words, e.g. ["cat", "office"].')),
                        ('expression', models.CharField(blank=True, choices=[('angry', 'Angry'), ('disgust', 'Disgust'), ('fear', 'Fear'), ('happy', 'Happy'), ('sad', 'Sad'), ('surprise', 'Surprise'), ('neutral', 'Neutral')], help_text='The expression this template fits (photo mode).', max_length=16)),
                        ('source', models.URLField(blank=True)),
                        ('import_digest', models.CharField(blank=True, editable=False, max_length=64)),
                        ('import_folder', models.CharField(blank=True, editable=False, help_text="Where it was imported from (import_templates' folder, fetch_templates' address): only that updates it (else --replace).", max_length=255)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'generator_template',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Meme',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('background', models.ImageField(blank=True, help_text="The user's own image, if any.", storage=memesite.storage.private_storage, upload_to='backgrounds/')),
                        ('boxes', models.JSONField(blank=True, default=list, help_text="On the user's own image: where each line goes (x, y, width, height).")),
                        ('lines', models.JSONField(default=list)),
                        ('title', models.CharField(blank=True, max_length=200)),
                        ('image', models.ImageField(storage=memesite.storage.private_storage, upload_to='memes/')),
                        ('source', models.CharField(choices=[('manual', 'Written by hand'), ('title', 'Captioned from a title'), ('photo', 'Made from a photo')], default='manual', max_length=8)),
                        ('model_version', models.CharField(blank=True, help_text='The caption model that wrote it, if any.', max_length=100)),
                        ('is_public', models.BooleanField(default=True)),
                        ('is_hidden', models.BooleanField(default=False, help_text='Hidden by staff: only staff and the owner see it.')),
                        ('ups', models.PositiveIntegerField(default=0, editable=False)),
                        ('downs', models.PositiveIntegerField(default=0, editable=False)),
                        ('score', models.IntegerField(default=0, editable=False)),
                        ('hot', models.FloatField(default=0.0, editable=False)),
                        ('best', models.FloatField(default=0.0, editable=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memes', to=settings.AUTH_USER_MODEL)),
                        ('parent', models.ForeignKey(blank=True, help_text='The meme this one remixes.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='remixes', to='memes.meme')),
                        ('template', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='memes', to='memes.template')),
                    ],
                    options={
                        'db_table': 'generator_meme',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(condition=models.Q(('is_hidden', False), ('is_public', True)), fields=['-hot', '-id'], name='meme_gallery_hot'), models.Index(condition=models.Q(('is_hidden', False), ('is_public', True)), fields=['-best', '-id'], name='meme_gallery_best'), models.Index(condition=models.Q(('is_hidden', False), ('is_public', True)), fields=['-score', '-id'], name='meme_gallery_score'), models.Index(condition=models.Q(('is_hidden', False), ('is_public', True)), fields=['-created_at', '-id'], name='meme_gallery_created_at'), models.Index(fields=['template', '-created_at'], name='meme_template_new'), models.Index(fields=['owner', '-created_at'], name='meme_owner_new')],
                    },
                ),
                migrations.CreateModel(
                    name='TextBox',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Order of the box: 0 is the first line.')),
                        ('x', models.FloatField(default=0.0, help_text='Left edge, as a fraction of the width.', validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('y', models.FloatField(default=0.0, help_text='Top edge, as a fraction of the height.', validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('width', models.FloatField(default=1.0, validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('height', models.FloatField(default=0.2, validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('align', models.CharField(choices=[('center', 'Centre'), ('left', 'Left'), ('right', 'Right')], default='center', max_length=8)),
                        ('angle', models.FloatField(default=0.0, validators=[django.core.validators.MinValueValidator(-180), django.core.validators.MaxValueValidator(180)])),
                        ('style', models.CharField(choices=[('upper', 'UPPER CASE'), ('none', 'As typed'), ('mock', 'mOcKiNg'), ('lower', 'lower case'), ('title', 'Title Case'), ('default', 'Capitalized when typed all in lower case')], default='upper', max_length=8)),
                        ('color', models.CharField(default='white', max_length=32, validators=[memes.models.validate_colour])),
                        ('outline', models.CharField(blank=True, help_text='The colour around the letters; empty: black, or white around dark text.', max_length=32, validators=[memes.models.validate_colour])),
                        ('font', models.CharField(choices=[('thick', 'Thick (Anton)'), ('thin', 'Thin (Noto Sans)'), ('comic', 'Comic (Kalam)')], default='thick', max_length=8)),
                        ('start', models.FloatField(default=0.0, help_text='On an animated template: when the text appears, as a fraction.', validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('stop', models.FloatField(default=1.0, help_text='... and when it goes (1: at the end).', validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                        ('example', models.CharField(blank=True, max_length=200)),
                        ('template', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='boxes', to='memes.template')),
                    ],
                    options={
                        'db_table': 'generator_textbox',
                        'ordering': ['position', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('template', 'position'), name='unique_box_position')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
