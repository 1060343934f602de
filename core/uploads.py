"""Photo uploads, for every app that takes them (reporting's activity photos,
incidents' attachments): an upload handler that stops reading a file once it
passes the size cap, so a 500 MB stream never reaches the disk (security.md
U8; Django's own limits count form fields, not file parts), and a form field
for several files at once."""

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from core.photos import DEFAULT_MAX_BYTES


class PhotoSizeLimitHandler(FileUploadHandler):
    """Skips (SkipFile) a file part past `limit` bytes and lists its name in
    request.oversize_files, for the page to name it."""

    def __init__(self, request=None, limit: int = DEFAULT_MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        request.oversize_files = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.oversize_files.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); each is only
    checked to be a file here: core.photos decides what it really is."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        """The uploaded files, as a list. An empty (0-byte) file is not an
        error of the whole field: the photo service refuses it by name and
        keeps the others of the batch (FileField.clean would drop them all)."""
        files = list(data) if isinstance(data, list | tuple) else ([data] if data else [])
        return [f for f in files if f is not None]
