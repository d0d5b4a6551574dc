// Files in the composer: [data-composer-files] holding the file input [data-attach-input] (visually
// hidden: its label [data-attach-label] is the attach button) and a progress bar
// [data-upload-progress]. Without JS the input is a plain one and the form posts
// multipart all the same; here the chosen files are listed ([data-attach-list], each removable),
// added to by picking, dropping on #composer or pasting into #composer-body, and a large upload
// shows its progress. Offers Courier.clearAttachments(form) for after a send.
function attachInput(form) { return form && form.querySelector('[data-attach-input]'); }

function formatSize(bytes) {
  if (bytes < 1024) return bytes + ' bytes';
  if (bytes < 1048576) return Math.round(bytes / 1024) + ' KB';
  return (bytes / 1048576).toFixed(1) + ' MB';
}

function setFiles(input, files) {
  var transfer = new DataTransfer();
  files.forEach(function (file) { transfer.items.add(file); });
  input.files = transfer.files;
  input.chosen = files;
  drawChosen(input);
}

// Chosen images are previewed from the file itself (nothing is uploaded before Send); each preview's
// object URL is let go when the list is drawn again.
var previews = [];
function preview(file) {
  if (!/^image\/(jpeg|png|gif|webp)$/.test(file.type) || !window.URL || !URL.createObjectURL) return null;
  var img = document.createElement('img');
  var url = URL.createObjectURL(file);
  previews.push(url);
  img.src = url;
  img.alt = '';
  img.className = 'h-10 w-10 shrink-0 rounded-lg object-cover';
  img.setAttribute('data-attach-preview', '');
  return img;
}

function drawChosen(input) {
  previews.forEach(function (url) { URL.revokeObjectURL(url); });
  previews = [];
  var box = input.closest('[data-composer-files]');
  var list = box.querySelector('[data-attach-list]');
  if (!list) {
    list = document.createElement('ul');
    list.setAttribute('data-attach-list', '');
    list.setAttribute('aria-label', 'Files to send');
    list.className = 'flex w-full flex-wrap gap-1';
    box.insertBefore(list, box.firstChild);
  }
  list.textContent = '';
  list.hidden = input.files.length === 0;
  Array.prototype.forEach.call(input.files, function (file, index) {
    var item = document.createElement('li');
    var thumb = preview(file);
    item.className = 'inline-flex items-center gap-1 bg-slate-100 py-1 pr-1 touch:py-0 ' + (thumb ? 'rounded-xl pl-1' : 'rounded-full pl-2');
    if (thumb) item.appendChild(thumb);
    var label = document.createElement('span');
    label.className = 'max-w-48 truncate';
    label.setAttribute('data-attach-name', '');
    label.textContent = file.name + ' · ' + formatSize(file.size);
    item.appendChild(label);
    var remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'inline-flex h-6 w-6 items-center justify-center rounded-full text-slate-500 hover:bg-slate-200 touch:h-11 touch:w-11';
    remove.setAttribute('aria-label', 'Remove ' + file.name);
    remove.textContent = '×';
    remove.addEventListener('click', function () {
      var kept = Array.prototype.filter.call(input.files, function (_, i) { return i !== index; });
      setFiles(input, kept);
      input.form.querySelector('textarea').focus();
    });
    item.appendChild(remove);
    list.appendChild(item);
  });
}

Courier.clearAttachments = function (form) {
  var input = attachInput(form);
  if (!input) return;
  input.value = '';
  input.chosen = [];
  drawChosen(input);
  // Files kept from a refused send went with this one.
  form.querySelectorAll('input[name="attachment_id"]').forEach(function (box) { box.closest('label').remove(); });
};

function addFiles(form, added) {
  var input = attachInput(form);
  if (!input || !added.length) return false;
  setFiles(input, Array.prototype.slice.call(input.files).concat(Array.prototype.slice.call(added)));
  return true;
}

// Picking files adds them to those already dropped, pasted or picked (a file input alone would
// replace them).
document.addEventListener('change', function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('[data-attach-input]')) return;
  var before = input.chosen || [];
  var picked = Array.prototype.slice.call(input.files);
  setFiles(input, before.concat(picked.filter(function (file) {
    return !before.some(function (had) { return had.name === file.name && had.size === file.size && had.lastModified === file.lastModified; });
  })));
});
document.addEventListener('dragover', function (event) {
  var form = event.target.closest && event.target.closest('#composer');
  if (!attachInput(form)) return;
  event.preventDefault();
  form.classList.add('ring-2', 'ring-brand-600');
});
document.addEventListener('dragleave', function (event) {
  var form = event.target.closest && event.target.closest('#composer');
  if (form && !form.contains(event.relatedTarget)) form.classList.remove('ring-2', 'ring-brand-600');
});
document.addEventListener('drop', function (event) {
  var form = event.target.closest && event.target.closest('#composer');
  if (!attachInput(form)) return;
  event.preventDefault();
  form.classList.remove('ring-2', 'ring-brand-600');
  addFiles(form, event.dataTransfer.files);
});
document.addEventListener('paste', function (event) {
  if (event.target.id !== 'composer-body' || !event.clipboardData || !event.clipboardData.files.length) return;
  if (addFiles(event.target.form, event.clipboardData.files)) event.preventDefault();
});
// A bar for uploads big enough to take a while.
document.addEventListener('htmx:xhr:progress', function (event) {
  var form = event.target;
  var bar = form && form.id === 'composer' && form.querySelector('[data-upload-progress]');
  if (!bar || !event.detail.lengthComputable || event.detail.total < 200000) return;
  bar.classList.remove('hidden');
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
});
document.addEventListener('htmx:afterRequest', function (event) {
  var bar = event.detail.elt && event.detail.elt.id === 'composer' && event.detail.elt.querySelector('[data-upload-progress]');
  if (bar) {
    bar.classList.add('hidden');
    bar.value = 0;
  }
});
