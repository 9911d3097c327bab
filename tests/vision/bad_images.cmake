# A folder of bad files next to one good photo: each bad file fails with an error naming it, the
# photo is still processed, the exit code is 1, nothing crashes. Needs CMD (a ;-list whose
# --images is WORK), WORK, GOOD (a real image), JPEG (a JPEG to cut short), EXPECT (a ;-list of
# strings the output must hold).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${GOOD} DESTINATION ${WORK})
file(WRITE ${WORK}/empty.png "")
file(WRITE ${WORK}/notes.txt "not an image\n")
file(READ ${JPEG} head LIMIT 3000 HEX)  # the first 1500 bytes: a JPEG cut short
file(WRITE ${WORK}/truncated.jpg.hex "${head}")
execute_process(COMMAND /usr/bin/python3 -c "import sys; open(sys.argv[2],'wb').write(bytes.fromhex(open(sys.argv[1]).read()))"
                ${WORK}/truncated.jpg.hex ${WORK}/truncated.jpg)
file(REMOVE ${WORK}/truncated.jpg.hex)
# A PNG header that claims a 0 x 0 image.
execute_process(COMMAND /usr/bin/python3 -c "import struct,zlib,sys; ihdr=struct.pack('>IIBBBBB',0,0,8,2,0,0,0); c=lambda t,d: struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)); open(sys.argv[1],'wb').write(b'\\x89PNG\\r\\n\\x1a\\n'+c(b'IHDR',ihdr)+c(b'IEND',b''))"
                ${WORK}/zero.png)
# A valid image far smaller than any network input: scaled up, not an error.
execute_process(COMMAND /usr/bin/python3 -c "import struct,zlib,sys; raw=b''.join(b'\\x00'+bytes(v for x in range(8) for v in (x*30,y*40,90)) for y in range(6)); ihdr=struct.pack('>IIBBBBB',8,6,8,2,0,0,0); c=lambda t,d: struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)); open(sys.argv[1],'wb').write(b'\\x89PNG\\r\\n\\x1a\\n'+c(b'IHDR',ihdr)+c(b'IDAT',zlib.compress(raw))+c(b'IEND',b''))"
                ${WORK}/tiny.png)
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "exit code ${rc}, expected 1\nstdout: ${out}\nstderr: ${err}")
endif()
foreach(want IN LISTS EXPECT)
  string(FIND "${out}${err}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "output lacks '${want}'\nstdout: ${out}\nstderr: ${err}")
  endif()
endforeach()
message("${out}${err}")
